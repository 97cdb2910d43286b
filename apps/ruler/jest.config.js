module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'app-ruler',
  rootDir: __dirname,
};
