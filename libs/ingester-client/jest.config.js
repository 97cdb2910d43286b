module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'ingester-client',
  rootDir: __dirname,
};
