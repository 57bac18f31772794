module.exports = require('../../jest.preset')('apps/settlement');
