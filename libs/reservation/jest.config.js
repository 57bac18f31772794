module.exports = require('../../jest.preset')('libs/reservation');
