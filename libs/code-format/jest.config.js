module.exports = require('../../jest.preset')('libs/code-format');
