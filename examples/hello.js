console.log('hello from krandog', process.argv.slice(2).join(' '));
