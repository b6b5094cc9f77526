"""One representative line per log format, for ``lpdoctor formats`` (tests check each is read, and detected, as
its format). Lines come from the project's own fixtures and samples, shortened where a format allows."""

from __future__ import annotations

SAMPLES: dict[str, str] = {
    "nginx-json": '{"status": 200, "request": "GET /a HTTP/1.1", "request_time": "0.031"}',
    "nginx-kv": (
        '192.0.2.41 - - [21/Nov/2026:20:14:50 +0000] "GET /_matrix/client/versions HTTP/1.1" 200 25 "-" "Element X" '
        'rt=0.002 uct="0.000" uht="0.002" urt="0.002" us="200" ua="127.0.0.1:8008"'
    ),
    "nginx-timing": (
        '203.0.113.155 - - [21/Nov/2026:20:17:48 +0000] "GET /api/items/882 HTTP/1.1" 200 26 "-" "curl/7.88.1" '
        "0.011 0.010 200"
    ),
    "nginx-combined": '203.0.113.7 - - [12/Jun/2026:10:15:12 +0000] "GET /poll HTTP/1.1" 504 160 "-" "curl/8.5.0"',
    "nginx-error": "2026/11/21 20:16:56 [notice] 16424#16424: exit",
    "sozu-access": (
        "2026-06-10T14:01:26.750339Z 1781100086750339954 41238 INFO-ACCESS  WRK-01\t[01KTRXD1ES0K260XRHNQW19ACY "
        "01KTRXD1ET23KTR6RES65E5M2J synapse synapse-0] 203.0.113.58:54166 10.0.0.5:8008 "
        "5049μs/100μs/4797μs/25ms/49μs 328 5452 [user-agent=Firefox/128.0] None http matrix.example.com GET "
        "/_matrix/client/versions 200 | H1::Complete"
    ),
    "sozune": "2026-03-20T08:00:00.000001Z  INFO sozune::middleware::proxy: 192.0.2.10 GET api.example.com /v1/users 200 12ms",
    "ingress-nginx": (
        '127.0.0.1 - - [07/Dec/2026:05:59:08 +0000] "GET /_matrix/client/v3/sync?timeout=3000 HTTP/1.1" 504 167 "-" '
        '"Python-urllib/3.11" 154 1.001 [default-app-8000] [] 127.0.0.1:41007 0 1.001 504 09091430b74d3f5f45d7c70789decaf8'
    ),
    "haproxy-httplog": (
        "127.0.0.1:54314 [21/Nov/2026:20:10:32.530] fe_main be_app/app1 0/0/0/0/0 200 52 - - ---- 1/1/0/0/0 0/0 "
        '"GET /fast HTTP/1.1"'
    ),
    "apache-combined-D": (
        '198.51.100.4 - - [12/Jun/2026:10:15:02 +0000] "GET /static/app.js HTTP/1.1" 304 - "https://app.example.com/" '
        '"Mozilla/5.0" 412'
    ),
    "apache-error": (
        "[Fri Jun 12 10:17:00 2026] [error] [client 203.0.113.7] proxy: Error reading from remote server returned "
        "by /api/poll"
    ),
    "caddy-runtime": '{"level":"error","ts":1796583380.677615,"logger":"http.log.error.log0","msg":"read tcp 127.0.0.1:48474->127.0.0.1:34157: i/o timeout","request":{"remote_ip":"127.0.0.1","remote_port":"60394","proto":"HTTP/1.1","method":"GET","host":"127.0.0.1:37843","uri":"/_matrix/client/v3/sync?timeout=8000"},"duration":2.004652532}',
    "haproxy-tcplog": "127.0.0.1:59750 [06/Dec/2026:18:56:52.641] fe be/s1 1/0/2001 0 cD 3/3/2/2/0 0/0",
    "caddy-json": (
        '{"level":"info","ts":1781259352.0,"logger":"http.log.access.log0","msg":"handled request","request":'
        '{"remote_ip":"203.0.113.9","proto":"HTTP/1.1","method":"GET","host":"api.example.com","uri":"/ws",'
        '"headers":{}},"duration":61.25,"size":0,"status":0,"resp_headers":{}}'
    ),
    "traefik-json": (
        '{"ClientHost":"192.0.2.7","DownstreamStatus":504,"Duration":30001234567,"OriginStatus":0,'
        '"RequestHost":"api.example.com","RequestMethod":"GET","RequestPath":"/poll?wait=60",'
        '"RequestProtocol":"HTTP/1.1","RouterName":"api@docker","StartUTC":"2026-06-12T10:15:00Z"}'
    ),
    "traefik-clf": ('10.0.0.1 - Client [10/Nov/2009:23:00:00 +0000] "GET /foo http" - - "-" "-" 0 "-" "-" 123000ms'),
    "envoy-default": (
        '[2016-04-15T20:17:00.310Z] "POST /api/v1/locations HTTP/2" 204 - 154 0 226 100 "10.0.35.28" "nsq2http" '
        '"cc21d9b0-cf5c-432b-8c7e-98aeb7988cd2" "locations" "tcp://10.0.2.1:80"'
    ),
    "envoy-json": (
        '{"start_time":"2026-06-12T10:15:00.000Z","method":"GET","path":"/poll","protocol":"HTTP/1.1",'
        '"response_code":504,"response_flags":"UT","duration":15001,"authority":"api.example.com",'
        '"upstream_host":"10.0.0.5:8080"}'
    ),
    "aws-alb": (
        "2015-05-13T23:39:43.945958Z my-loadbalancer 192.168.131.39:2817 10.0.0.1:80 0.000073 0.001048 0.000057 "
        '200 200 0 29 "GET http://www.example.com:80/ HTTP/1.1" "curl/7.38.0" - -'
    ),
    "heroku-router": (
        '2026-06-12T10:16:07.000000+00:00 heroku[router]: at=error code=H15 desc="Idle connection" dyno=web.1 '
        "connect=1ms service=55449ms status=503 bytes=18"
    ),
}
