module.exports = require('../../jest.preset')('apps/gateway');
