module.exports = require('../../jest.preset')('libs/platform');
