module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'modules',
  rootDir: __dirname,
};
