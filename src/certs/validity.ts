// How long certificates are valid by default, in days: what the commands' help states and drg issues.
export const CA_DAYS = 3650;
export const DEVICE_DAYS = 365;
