// A tiny web app for the skiff image builder example: answers every request
// with a greeting and the pod's hostname.
const http = require('node:http');
const os = require('node:os');

const port = Number(process.env.PORT || 3000);
http
  .createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(`hello from node ${process.version} on ${os.hostname()}\n`);
  })
  .listen(port, () => console.log(`listening on ${port}`));
