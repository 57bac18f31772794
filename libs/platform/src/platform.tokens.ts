/** Injection tokens of the platform kit. */
export const SERVICE_CONFIG = Symbol('SERVICE_CONFIG');
export const SERVICE_NAME = Symbol('SERVICE_NAME');
export const ROOT_LOGGER = Symbol('ROOT_LOGGER');
