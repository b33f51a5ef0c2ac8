"""The officers' console: pages rendered on the server over the four services' APIs.

A backend-for-frontend: the officer signs in on Keycloak's page, the console keeps the tokens
in its own database and calls the APIs with them; the browser holds one session cookie. The
console decides nothing about access: it shows what each API answers to that officer.
"""
