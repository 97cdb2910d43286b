module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'panoptes',
  rootDir: __dirname,
};
