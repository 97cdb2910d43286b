module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'kv',
  rootDir: __dirname,
};
