module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'block-formats',
  rootDir: __dirname,
};
