// A registry token service for the e2e tests (Docker's token authentication
// spec, as Docker Hub's auth.docker.io answers it): Basic credentials in,
// an RS256 JWT out, carrying the signing certificate in x5c so Debian's
// docker-registry (configured with that certificate as rootcertbundle) trusts it.
// No token server package is in Debian, so the test brings this small one; the
// registry that checks its tokens is the real one.
// Run: node --import tsx registry-token-server.ts ADDR KEY.pem CERT.pem ISSUER USER:PASSWORD
import { createPrivateKey, randomUUID, sign, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';

const [addr, keyFile, certFile, issuer, user] = process.argv.slice(2) as [string, string, string, string, string];
const key = createPrivateKey(readFileSync(keyFile));
const certDer = new X509Certificate(readFileSync(certFile)).raw.toString('base64');
const b64url = (b: Buffer | string) => Buffer.from(b).toString('base64url');

function token(service: string, subject: string, access: object[]): string {
  const now = Math.floor(Date.now() / 1000);
  const header = b64url(JSON.stringify({ alg: 'RS256', typ: 'JWT', x5c: [certDer] }));
  const claims = b64url(JSON.stringify({ iss: issuer, sub: subject, aud: service, exp: now + 300, nbf: now - 10, iat: now, jti: randomUUID(), access }));
  const sig = sign('sha256', Buffer.from(`${header}.${claims}`), key);
  return `${header}.${claims}.${b64url(sig)}`;
}

createServer((req, res) => {
  const u = new URL(req.url ?? '/', 'http://token');
  const auth = req.headers.authorization ?? '';
  const who = auth.startsWith('Basic ') ? Buffer.from(auth.slice(6), 'base64').toString('utf8') : '';
  if (who && who !== user) {
    res.writeHead(401, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ details: 'incorrect username or password' }));
    return;
  }
  // the known user gets what it asks for; anyone else an empty grant (the registry then refuses)
  const access = who
    ? u.searchParams.getAll('scope').map((s) => {
        const [type, name, actions] = s.split(':');
        return { type, name, actions: (actions ?? '').split(',').filter(Boolean) };
      })
    : [];
  const t = token(u.searchParams.get('service') ?? '', who.split(':')[0] ?? '', access);
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ token: t, access_token: t, expires_in: 300, issued_at: new Date().toISOString() }));
}).listen(Number(addr.split(':')[1]), addr.split(':')[0], () => console.log('token server ready'));
