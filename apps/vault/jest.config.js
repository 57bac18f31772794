module.exports = require('../../jest.preset')('apps/vault');
