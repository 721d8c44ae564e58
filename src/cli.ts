// Placeholder entry; the command tree is built in this module.
console.log('drg 0.1.0');
