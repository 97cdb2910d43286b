module.exports = {
  ...require('../../../jest.preset.js'),
  displayName: 'querier',
  rootDir: __dirname,
};
