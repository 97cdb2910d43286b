module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'app-compactor',
  rootDir: __dirname,
};
