# expect: import-not-allowed
import http.client
import json


def post_results(signals):
    conn = http.client.HTTPSConnection("hooks.example.com")
    conn.request("POST", "/strategy", json.dumps(signals), {"Content-Type": "application/json"})
    return conn.getresponse().status
