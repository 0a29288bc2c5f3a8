// Starts s3rver (npm, 3.7.1) on 127.0.0.1:PORT with the conformance key pair added to its
// account registry (s3rver's only built-in pair is S3RVER/S3RVER: lib/models/account.js).
//   node s3rver.js PORT DIR ACCESS SECRET
const path = require('path');
const S3rver = require('s3rver');
const { DUMMY_ACCOUNT } = require(path.join(path.dirname(require.resolve('s3rver')), 'models', 'account'));
const [port, dir, access, secret] = process.argv.slice(2);
DUMMY_ACCOUNT.createKeyPair(access, secret);
new S3rver({ address: '127.0.0.1', port: Number(port), directory: dir, silent: true })
  .run()
  .then(() => console.log('listening'));
