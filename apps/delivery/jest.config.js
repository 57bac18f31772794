module.exports = require('../../jest.preset')('apps/delivery');
