export async function benchIdleDevices() {}
