"""The embedded broker: kombu's filesystem transport with atomic message writes.

kombu's own transport creates the message file under its final name and then writes into it, so a
consumer listing the folder in between reads an empty or half-written file and the worker dies on a
JSONDecodeError. Here a message is written under a name no consumer looks at and then renamed into
place (rename is atomic on POSIX), so a consumer sees either nothing or the whole message.
"""

import os
import uuid
from time import monotonic

from kombu.transport import filesystem
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps

# Consumers only take files named "<stamp>_<uuid>.<queue>.msg"; this suffix keeps a file being written out of reach.
PARTIAL_SUFFIX = ".partial"


class Channel(filesystem.Channel):
    def _put(self, queue, payload, **kwargs):
        name = f"{int(round(monotonic() * 1000))}_{uuid.uuid4()}.{queue}.msg"
        final = os.path.join(self.data_folder_out, name)
        partial = final + PARTIAL_SUFFIX
        try:
            with open(partial, "wb") as handle:
                handle.write(str_to_bytes(dumps(payload)))
            os.replace(partial, final)
        except OSError as error:
            raise filesystem.ChannelError(f"Cannot add file {final!r} to directory") from error


class Transport(filesystem.Transport):
    Channel = Channel
