module.exports = require('../../jest.preset')('apps/cli');
