module.exports = {
  ...require('../../../jest.preset.js'),
  displayName: 'distributor',
  rootDir: __dirname,
};
