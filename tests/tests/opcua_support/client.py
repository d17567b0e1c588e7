"""Python's asyncua client against the sessions OPC UA host, for tests/tests/test_opcua_asyncua.rs.

    python client.py SCENARIO URL [ARGS...]

Each scenario prints one JSON line with what it saw; the Rust test asserts on it. Calls are
sent raw (CallMethodRequest), so the status code, the per-argument results and the outputs
arrive as the server sent them, without asyncua raising on a Bad status.
"""

import asyncio
import json
import logging
import sys
from pathlib import Path

from asyncua import Client, ua

NAMESPACE = "urn:sessions:methods"


def variant(value):
    """An output as [VariantType name, value]."""
    return [value.VariantType.name, value.Value]


async def connect(url, user=None, password=None):
    client = Client(url, timeout=20)
    if user is not None:
        client.set_user(user)
        client.set_password(password)
    await client.connect()
    client.ns = await client.get_namespace_index(NAMESPACE)
    return client


async def call(client, method, *args, obj=None):
    """One raw call of the method s=METHOD on OBJ (default: the Methods object, i=1)."""
    request = ua.CallMethodRequest()
    request.ObjectId = obj if obj is not None else ua.NodeId(1, client.ns)
    request.MethodId = ua.NodeId(method, client.ns)
    request.InputArguments = list(args)
    [result] = await client.uaclient.call([request])
    return {
        "status": result.StatusCode.name,
        "outputs": [variant(v) for v in (result.OutputArguments or [])],
        "arg_results": [s.name for s in (result.InputArgumentResults or [])],
    }


def i64(n):
    return ua.Variant(n, ua.VariantType.Int64)


def f64(x):
    return ua.Variant(x, ua.VariantType.Double)


def text(s):
    return ua.Variant(s, ua.VariantType.String)


async def arguments(node, name):
    for child in await node.get_properties():
        if (await child.read_browse_name()).Name == name:
            return [[a.Name, a.DataType.Identifier, a.ValueRank] for a in await child.read_value()]
    return []


async def browse(url, user=None, password=None):
    client = await connect(url, user, password)
    try:
        objects = {}
        for child in await client.nodes.objects.get_children():
            objects[(await child.read_browse_name()).Name] = child.nodeid.to_string()
        methods_node = client.get_node(ua.NodeId(1, client.ns))
        methods = {}
        for method in await methods_node.get_methods():
            name = (await method.read_browse_name()).Name
            methods[name] = {
                "node": method.nodeid.to_string(),
                "inputs": await arguments(method, "InputArguments"),
                "outputs": await arguments(method, "OutputArguments"),
                "description": (await method.read_description()).Text,
            }
        return {"objects": objects, "methods": methods}
    finally:
        await client.disconnect()


async def count(url, engine):
    admin = await connect(url, "admin", "admin-pw")
    operator = await connect(url, "operator", "operator-pw")
    anonymous = await connect(url)
    try:
        return await call(anonymous, "GetActiveWebSessionsNumber", text(engine))
    finally:
        for client in (admin, operator, anonymous):
            await client.disconnect()


async def calls(url):
    client = await connect(url)
    try:
        return {
            "divide": await call(client, "Divide", f64(1.0), f64(4.0)),
            "divide_by_zero": await call(client, "Divide", f64(1.0), f64(0.0)),
            "min_max": await call(client, "MinMax", ua.Variant([3, -7, 12, 5], ua.VariantType.Int32)),
            # A plain Python int is sent as Int64: an integer parameter takes it.
            "add_plain_ints": await call(client, "add", ua.Variant(2), ua.Variant(3)),
            "wrong_type": await call(client, "add", i64(2), text("3")),
            "too_few": await call(client, "add", i64(2)),
            "too_many": await call(client, "add", i64(1), i64(2), i64(3)),
            "unknown": await call(client, "NoSuchMethod"),
            "panic": await call(client, "Explode"),
            "json": await call(client, "Slower", text('{"name":"bread","minutes":40}')),
            "optional_left_out": await call(client, "Greet", text("Ada")),
            "after_panic": await call(client, "add", i64(1), i64(1)),
        }
    finally:
        await client.disconnect()


async def roles(url):
    viewer = await connect(url, "viewer", "viewer-pw")
    admin = await connect(url, "admin", "admin-pw")
    try:
        node = ua.NodeId("ResetCounters", viewer.ns)
        return {
            "viewer": await call(viewer, "ResetCounters"),
            "viewer_executable": (await viewer.get_node(node).read_attribute(ua.AttributeIds.UserExecutable)).Value.Value,
            "admin": await call(admin, "ResetCounters"),
            "admin_executable": (await admin.get_node(node).read_attribute(ua.AttributeIds.UserExecutable)).Value.Value,
        }
    finally:
        await viewer.disconnect()
        await admin.disconnect()


async def hold(url, user, password):
    """Connects, says who it is, waits for a line on stdin, then closes its session."""
    client = await connect(url, user, password)
    who = await call(client, "WhoAmI")
    print(json.dumps({"who": who}), flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    await client.disconnect()
    return {"closed": True}


async def reactivate(url):
    client = await connect(url)
    try:
        before = await call(client, "WhoAmI")
        await client.activate_session(username="admin", password="admin-pw")
        after = await call(client, "WhoAmI")
        return {"before": before, "after": after}
    finally:
        await client.disconnect()


async def concurrent(url, clients, calls_each):
    async def one(index):
        name = f"client-{index}"
        client = await connect(url, name, "pw")
        try:
            answers = []
            for _ in range(calls_each):
                result = await call(client, "WhoAmI")
                answers.append([result["status"]] + [v[1] for v in result["outputs"]])
            return name, answers
        finally:
            await client.disconnect()

    results = await asyncio.gather(*(one(i) for i in range(clients)))
    return dict(results)


async def objects(url):
    client = await connect(url)
    try:
        obj = ua.NodeId("Line1/Counter", client.ns)
        children = [(await m.read_browse_name()).Name for m in await client.get_node(obj).get_methods()]
        bumped = await call(client, "Line1/Counter.bump", ua.Variant(5, ua.VariantType.UInt64), obj=obj)
        return {"methods": children, "bump": bumped}
    finally:
        await client.disconnect()


async def refused(url, user, password):
    try:
        client = await connect(url, user or None, password or None)
    except Exception as error:  # noqa: BLE001 - the test wants to know that it failed, and why
        return {"connected": False, "error": type(error).__name__}
    await client.disconnect()
    return {"connected": True}


async def reset(url, user, password):
    """Logs in and calls ResetCounters (administrators only)."""
    client = await connect(url, user, password)
    try:
        return await call(client, "ResetCounters")
    finally:
        await client.disconnect()


async def password_without_security(url):
    """Logs in on the None endpoint of a host with a certificate: the password must travel
    encrypted with it (the user token policy says so), not in plain text."""
    client = Client(url, timeout=20)
    client.set_user("operator")
    client.set_password("operator-pw")
    plain_text = []

    class Catch(logging.Handler):
        def emit(self, record):
            if "plain-text password" in record.getMessage():
                plain_text.append(record.getMessage())

    logging.getLogger("asyncua").addHandler(Catch())
    await client.connect()
    client.ns = await client.get_namespace_index(NAMESPACE)
    try:
        who = await call(client, "WhoAmI")
        return {"who": who, "plain_text_warnings": plain_text}
    finally:
        await client.disconnect()


async def secure(url, folder):
    """Signs and encrypts with each policy the host offers, with a certificate of its own."""
    from cryptography.x509.oid import ExtendedKeyUsageOID
    from asyncua.crypto import security_policies
    from asyncua.crypto.cert_gen import setup_self_signed_certificate

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    key, cert = folder / "python-client-key.pem", folder / "python-client-cert.der"
    app_uri = "urn:sessions:tests:python"
    await setup_self_signed_certificate(
        key, cert, app_uri, "localhost", [ExtendedKeyUsageOID.CLIENT_AUTH], {"commonName": "python client"}
    )
    seen = {}
    for name in ("Basic256Sha256", "Aes128Sha256RsaOaep", "Aes256Sha256RsaPss"):
        policy = getattr(security_policies, f"SecurityPolicy{name}")
        for mode in (ua.MessageSecurityMode.Sign, ua.MessageSecurityMode.SignAndEncrypt):
            client = Client(url, timeout=20)
            client.application_uri = app_uri
            client.set_user("admin")
            client.set_password("admin-pw")
            await client.set_security(policy, str(cert), str(key), mode=mode)
            await client.connect()
            client.ns = await client.get_namespace_index(NAMESPACE)
            try:
                seen[f"{name}/{mode.name}"] = (await call(client, "WhoAmI"))["outputs"][0]
            finally:
                await client.disconnect()
    return seen


async def write(client, node, value):
    """One raw write of a node's value: its status code's name, as the server sent it."""
    params = ua.WriteParameters()
    item = ua.WriteValue()
    item.NodeId = node
    item.AttributeId = ua.AttributeIds.Value
    item.Value = ua.DataValue(value)
    params.NodesToWrite = [item]
    [status] = await client.uaclient.write(params)
    return status.name


async def variables(url):
    """Reads, writes (refused and allowed) and the access levels of Plant/Tank/Setpoint
    (write role operator), and what the Variables object lists."""
    anonymous = await connect(url)
    viewer = await connect(url, "viewer", "viewer-pw")
    operator = await connect(url, "operator", "operator-pw")
    try:
        setpoint = ua.NodeId("Plant/Tank/Setpoint", anonymous.ns)
        listing = anonymous.get_node(ua.NodeId(2, anonymous.ns))
        listed = sorted([(await child.read_browse_name()).Name for child in await listing.get_children()])

        async def access(client):
            level = await client.get_node(setpoint).read_attribute(ua.AttributeIds.UserAccessLevel)
            return level.Value.Value

        read = await anonymous.get_node(setpoint).read_data_value()
        return {
            "listed": listed,
            "read": variant(read.Value),
            "data_type": (await anonymous.get_node(setpoint).read_data_type()).Identifier,
            "access": {
                "anonymous": await access(anonymous),
                "viewer": await access(viewer),
                "operator": await access(operator),
            },
            "anonymous_write": await write(anonymous, setpoint, f64(75.0)),
            "viewer_write": await write(viewer, setpoint, f64(75.0)),
            "operator_write": await write(operator, setpoint, f64(75.0)),
            "wrong_type": await write(operator, setpoint, text("warm")),
            "read_after": variant((await anonymous.get_node(setpoint).read_data_value()).Value),
        }
    finally:
        for client in (anonymous, viewer, operator):
            await client.disconnect()


async def watch(client, node):
    """Subscribes to NODE's value (every 50 ms): the subscription, and a queue of the values
    the server sends."""
    seen = asyncio.Queue()

    class Handler:
        def datachange_notification(self, node, value, data):
            seen.put_nowait(value)

    subscription = await client.create_subscription(50, Handler())
    await subscription.subscribe_data_change(node)
    return subscription, seen


async def subscribe(url, path, changes):
    """Subscribes to the value of the variable at PATH: prints {"subscribed": VALUE} with the
    first value, then {"seen": VALUE} for each of CHANGES changes, then all it saw."""
    client = await connect(url)
    try:
        subscription, seen = await watch(client, client.get_node(ua.NodeId(path, client.ns)))
        first = await asyncio.wait_for(seen.get(), 20)
        print(json.dumps({"subscribed": first}), flush=True)
        changes_seen = []
        for _ in range(int(changes)):
            value = await asyncio.wait_for(seen.get(), 20)
            changes_seen.append(value)
            print(json.dumps({"seen": value}), flush=True)
        await subscription.delete()
        return {"first": first, "changes": changes_seen}
    finally:
        await client.disconnect()


async def oven(url):
    """Reads line 1's oven's target, and subscribes to its actual temperature for three
    changes (the line's heater moves it every second)."""
    client = await connect(url)
    try:
        target = await client.get_node(ua.NodeId("Line1/Oven/Target", client.ns)).read_value()
        actual_node = client.get_node(ua.NodeId("Line1/Oven/Actual", client.ns))
        subscription, seen = await watch(client, actual_node)
        actual = [await asyncio.wait_for(seen.get(), 20) for _ in range(4)]
        await subscription.delete()
        return {"target": target, "actual": actual}
    finally:
        await client.disconnect()


SCENARIOS = {
    "password_without_security": password_without_security,
    "secure": secure,
    "browse": browse,
    "count": count,
    "calls": calls,
    "roles": roles,
    "hold": hold,
    "reactivate": reactivate,
    "concurrent": lambda url, n, c: concurrent(url, int(n), int(c)),
    "objects": objects,
    "refused": refused,
    "reset": reset,
    "variables": variables,
    "subscribe": subscribe,
    "oven": oven,
}


def main():
    scenario, url, *args = sys.argv[1:]
    result = asyncio.run(SCENARIOS[scenario](url, *args))
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
