// Starts the shared broker on 127.0.0.1:9092 when none runs (and leaves it running).
export { setupForTests as default } from '@uniqstream/kafka-local';
