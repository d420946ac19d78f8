# A tiny MCP server over stdio with Python's standard library only (line-delimited JSON-RPC):
# initialize, tools/list, tools/call. Run inside a container by tests/connectors/image.test.ts.
import json, os, sys

TOOLS = [
    {"name": "lookup", "description": "Look up a customer", "inputSchema": {"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]}, "annotations": {"readOnlyHint": True}},
    {"name": "echo_secret", "description": "Say the token", "inputSchema": {"type": "object", "properties": {}}},
    {"name": "inside", "description": "What the container looks like", "inputSchema": {"type": "object", "properties": {}}},
    {"name": "fetch", "description": "GET a URL (through the proxy variables, as urllib does)", "inputSchema": {"type": "object", "properties": {"url": {"type": "string"}}, "required": ["url"]}},
    {"name": "crash", "description": "Fall over", "inputSchema": {"type": "object", "properties": {}}},
]

def text(t):
    return {"content": [{"type": "text", "text": t}]}

def inside():
    seen = []
    for p in ["/probe.txt", "/tmp/probe.txt"]:
        try:
            open(p, "w").write("x"); seen.append(p + ": written")
        except OSError as e:
            seen.append(p + ": " + e.strerror)
    import socket
    try:
        socket.create_connection(("1.1.1.1", 80), timeout=2); seen.append("network: reached")
    except OSError as e:
        seen.append("network: " + (e.strerror or str(e)))
    seen.append("uid: %d" % os.getuid())
    seen.append("mounts: " + ",".join(sorted(l.split()[1] for l in open("/proc/mounts") if l.split()[1].startswith(("/home", "/root", "/work", "/var/run", "/run")))))
    return text("; ".join(seen))

def fetch(url):
    import urllib.request, urllib.error
    try:
        with urllib.request.urlopen(url, timeout=5) as r: return text("fetch %s: %d" % (url, r.status))
    except urllib.error.HTTPError as e:
        return text("fetch %s: %d %s" % (url, e.code, e.reason))
    except Exception as e:
        return text("fetch %s: failed: %s" % (url, e))

def call(name, args):
    token = os.environ.get("CRM_TOKEN", "")
    if name == "lookup": return text("customer found (token %s)" % ("present" if token else "missing"))
    if name == "echo_secret": return text("the token is " + token)
    if name == "inside": return inside()
    if name == "fetch": return fetch(args["url"])
    if name == "crash":
        sys.stderr.write("crm server: out of cheese\n"); sys.stderr.flush(); os._exit(3)
    return None

for line in sys.stdin:
    msg = json.loads(line)
    if "id" not in msg: continue
    method, rid = msg.get("method"), msg["id"]
    if method == "initialize":
        result = {"protocolVersion": msg["params"]["protocolVersion"], "capabilities": {"tools": {}}, "serverInfo": {"name": "crm", "version": "1"}}
    elif method == "tools/list":
        result = {"tools": TOOLS}
    elif method == "tools/call":
        result = call(msg["params"]["name"], msg["params"].get("arguments") or {})
        if result is None:
            print(json.dumps({"jsonrpc": "2.0", "id": rid, "error": {"code": -32602, "message": "unknown tool"}}), flush=True); continue
    else:
        print(json.dumps({"jsonrpc": "2.0", "id": rid, "error": {"code": -32601, "message": "no such method"}}), flush=True); continue
    print(json.dumps({"jsonrpc": "2.0", "id": rid, "result": result}), flush=True)
