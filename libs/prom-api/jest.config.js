module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'prom-api',
  rootDir: __dirname,
};
