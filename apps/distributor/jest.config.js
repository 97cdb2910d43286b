module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'app-distributor',
  rootDir: __dirname,
};
