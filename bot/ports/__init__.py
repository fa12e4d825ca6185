"""Every contract the core uses, owned by the core.

`channels`: what a channel (adapter) offers the core and what the core offers it.
`store`: the durable inbox, outbox, history, users and privacy repositories.
`engines`: speech, chat, voice and vision engines.
"""
