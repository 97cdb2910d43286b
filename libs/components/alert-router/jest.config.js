module.exports = {
  ...require('../../../jest.preset.js'),
  displayName: 'alert-router',
  rootDir: __dirname,
};
