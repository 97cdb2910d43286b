module.exports = {
  ...require('../../../jest.preset.js'),
  displayName: 'query-frontend',
  rootDir: __dirname,
};
