"""WhatsApp on Meta's Cloud API: signed webhooks in, Graph API calls out."""
