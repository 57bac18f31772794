module.exports = require('../../jest.preset')('apps/catalog');
