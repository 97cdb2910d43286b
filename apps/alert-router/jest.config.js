module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'app-alert-router',
  rootDir: __dirname,
};
