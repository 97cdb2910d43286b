module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'app-querier',
  rootDir: __dirname,
};
