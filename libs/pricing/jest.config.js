module.exports = require('../../jest.preset')('libs/pricing');
