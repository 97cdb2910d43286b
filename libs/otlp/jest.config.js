module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'otlp',
  rootDir: __dirname,
};
