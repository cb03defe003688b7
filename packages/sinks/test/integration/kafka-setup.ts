export { setupForTests as default } from '@uniqstream/kafka-local';
