module.exports = {
  ...require('../../../jest.preset.js'),
  displayName: 'bucket',
  rootDir: __dirname,
};
