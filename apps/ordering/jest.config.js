module.exports = require('../../jest.preset')('apps/ordering');
