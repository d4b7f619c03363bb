import { Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { DopplerModule } from 'nestjs-doppler';
import { AppController } from './app.controller.js';
import { AppSecrets } from './app-secrets.js';
import { PaymentsClient } from './payments.client.js';

@Module({
  imports: [
    ConfigModule.forRoot(),
    DopplerModule.forRootAsync({
      imports: [ConfigModule],
      inject: [ConfigService],
      useFactory: (config: ConfigService) => ({
        token: config.getOrThrow<string>('DOPPLER_TOKEN'),
        schema: AppSecrets,
        // Optional: only needed for tokens that are not service tokens, or for the emulator.
        project: config.get<string>('DOPPLER_PROJECT'),
        config: config.get<string>('DOPPLER_CONFIG'),
        apiUrl: config.get<string>('DOPPLER_API_URL'),
      }),
      isGlobal: true,
    }),
  ],
  controllers: [AppController],
  providers: [PaymentsClient],
})
export class AppModule {}
