module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'app-ingester',
  rootDir: __dirname,
};
