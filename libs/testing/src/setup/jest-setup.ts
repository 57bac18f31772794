// Runs before every test file: quiet kafkajs's partitioner notice and default to test settings.
process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';
process.env.NODE_ENV ??= 'test';
