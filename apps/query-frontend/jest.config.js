module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'app-query-frontend',
  rootDir: __dirname,
};
