import assert from "node:assert/strict";
import { runStreamLoad } from "../../scripts/bench/stream_client.ts";

const enc = new TextEncoder();

/** A server whose streams all last `ms`, recording when each request arrived. */
function equalLengthStreams(ms: number) {
  const arrivals: number[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    arrivals.push(performance.now());
    await req.arrayBuffer();
    const body = new ReadableStream<Uint8Array>({
      async start(controller) {
        controller.enqueue(enc.encode("event: message_start\ndata: {}\n\n"));
        await new Promise((r) => setTimeout(r, ms));
        controller.enqueue(enc.encode("event: message_stop\ndata: {}\n\n"));
        controller.close();
      },
    });
    return new Response(body, { headers: { "content-type": "text/event-stream" } });
  });
  return { server, arrivals, url: `http://127.0.0.1:${server.addr.port}/v1/messages` };
}

Deno.test("stream client: a ramp spreads the workers' first requests; without one they come together", async () => {
  for (const rampMs of [0, 200]) {
    const { server, arrivals, url } = equalLengthStreams(300);
    try {
      const result = await runStreamLoad({
        url,
        body: enc.encode('{"stream":true}'),
        headers: { "content-type": "application/json" },
        sse: true,
        concurrency: 4,
        durationS: 0.6,
        warmupS: 0,
        rampMs,
      });
      assert.equal(result.errors, 0, result.errorDetail);
      assert.ok(result.requests >= 4, `only ${result.requests} streams`);
      // Streams outlast the ramp, so the first 4 arrivals are the 4 workers' first requests;
      // worker k starts at rampMs·k/4, the last 150 ms after the first.
      const spread = arrivals[3] - arrivals[0];
      if (rampMs === 0) {
        assert.ok(spread < 50, `first 4 arrivals ${spread} ms apart without a ramp`);
      } else assert.ok(spread >= 140, `first 4 arrivals only ${spread} ms apart with a ramp`);
    } finally {
      await server.shutdown();
    }
  }
});
