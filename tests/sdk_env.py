"""Environment variables the official SDK reads that must not leak from the developer's shell into a test."""

SDK_ENV = (
    "TINKER_API_KEY",
    "TINKER_BASE_URL",
    "TINKER_CREDENTIAL_CMD",
    "TINKER_PROJECT_ID",
    "TINKER_TAGS",
    "CLOUDFLARE_ACCESS_CLIENT_ID",
    "CLOUDFLARE_ACCESS_CLIENT_SECRET",
)
