module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'ring',
  rootDir: __dirname,
};
