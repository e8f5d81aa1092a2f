// bittorrent-tracker's own server (WebSocket only) as a process, for side-by-side load runs.
import { Server } from 'bittorrent-tracker';

const port = Number(process.argv[2] ?? '0');
const server = new Server({ udp: false, http: false, ws: true, stats: false, trustProxy: false });
server.on('error', (error: Error) => console.error(`reference tracker: ${error.message}`));
server.on('warning', () => undefined);
server.on('listening', () => {
  const address = server.http.address() as { port: number };
  console.log(JSON.stringify({ message: 'listening', url: `ws://127.0.0.1:${address.port}` }));
});
server.listen(port, '127.0.0.1');
process.once('SIGTERM', () => server.close(() => process.exit(0)));
