module.exports = {
  ...require('../../../jest.preset.js'),
  displayName: 'bucket-index',
  rootDir: __dirname,
};
